# The strace option behind a rabbithole refusal, from a failed test's log: rabbithole
# takes an option it does not know for the command to run ("cannot run -a13"), and says
# so for -e qualifiers and trace sets it does not accept.
s/^rabbithole: cannot run (--[a-z-]+).*/needs flag \1/p
s/^rabbithole: cannot run -e ?([a-z]+)=.*/needs flag -e \1=/p
s/^rabbithole: cannot run -e[a-z0-9_,%!]+:.*/needs flag -eNAME (value attached)/p
s/^rabbithole: cannot run -s[0-9]+:.*/needs flag -sN (value attached)/p
s/^rabbithole: cannot run (-xx|-[a-zA-Z]).*/needs flag \1/p
s/^rabbithole: -e ([a-z]+)=\.\.\. is not supported.*/needs flag -e \1=/p
s/^rabbithole: invalid system call '([^']*)'.*/needs -e trace=\1/p
