# Maps each strace test to the syscall it exercises and that syscall's family.
# First input: strace's x86_64 syscall table (src/linux/x86_64/syscallent.h followed by
# the generic syscallent-common.h it includes), whose trace-class flags (TD, TF, TN, ...)
# are strace's own %desc, %file, %net, ... sets. Second input: test names.
# Output: "test family syscall". A test named after no x86_64 syscall gets a family from
# its name (netlink, IPC, strace's own "options", else "feature"); its syscall is "-".
FNR == NR {
  if (match($0, /"[a-z_0-9]+"/)) {
    name = substr($0, RSTART + 1, RLENGTH - 2)
    split($0, f, ",")
    flags = f[2]
    fam = "other"
    if (flags ~ /TN/) fam = "network"
    else if (flags ~ /TS([^TA-Z]|$)/) fam = "signal"
    else if (flags ~ /TP/) fam = "process"
    else if (flags ~ /TI/) fam = "ipc"
    else if (flags ~ /TM/) fam = "memory"
    else if (flags ~ /TC([^L]|$)/) fam = "creds"
    else if (flags ~ /TCL/) fam = "clock"
    else if (flags ~ /TF|TST|TLST|TFST|TSTA|TSFA/) fam = "file"
    else if (flags ~ /TD/) fam = "desc"
    family[name] = fam
  }
  next
}
{
  test = $1
  base = test
  sub(/-.*/, "", base)
  sys = "-"
  # the longest prefix of the name, cut at "_", that is a syscall: ioctl_evdev -> ioctl
  for (cand = base; cand != ""; ) {
    if (cand in family) { sys = cand; break }
    if (!sub(/_[^_]*$/, "", cand)) break
  }
  # fcntl64, fstat64, ...: the 32-bit names of x86_64 calls
  if (sys == "-" && base ~ /64$/) {
    cand = base
    sub(/64$/, "", cand)
    if (cand in family) sys = cand
  }
  fam = (sys == "-") ? feature(test) : family[sys]
  print test, fam, sys
}

# Tests of no one syscall: netlink and socket-option decoding, SysV IPC through ipc(2),
# and strace's own options (-e trace= classes, --status, -f, ...).
function feature(t) {
  if (t ~ /^(nlattr|netlink|nfnetlink|net-|sockopt|sockaddr|so_|sock_|inet-|unix-|mmsg)/) return "network"
  if (t ~ /^(ipc_|ipc-|sem|shm|msg|mq_)/) return "ipc"
  if (t ~ /^(strace-|trace_|status-|qual_|filter|fault|inject|attach|count|detach|redirect|threads|pid|signal_|termsig|xet|time|poke|silence|options|restart|kill_child|ksysent|trie|umove|printpath|printstr|print)/) return "options"
  return "feature"
}
