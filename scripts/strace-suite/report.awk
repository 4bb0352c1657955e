# The summary of a suite run. Inputs, in order: decoded.txt (the syscalls the README lists
# as decoded), the families file (test family syscall), the control's results, then one
# results file per backend named in -v backends="ptrace ebpf" (each "test\tstatus\treason").
# A test counts only where the control passes it.
BEGIN { nb = split(backends, bname, " ") }
FNR == 1 { file++ }
file == 1 { if ($0 !~ /^#/ && NF) decoded[$1] = 1; next }
file == 2 { fam[$1] = $2; sys[$1] = $3; next }
{ split($0, f, "\t") }
file == 3 { if (f[2] == "pass") counted[f[1]] = 1; ctl[f[2]]++; total++; next }
{
  b = file - 3
  t = f[1]
  if (!(t in counted)) next
  fm = fam[t]
  n[b, fm]++; n[b, "all"]++
  rd = (sys[t] in decoded)
  if (rd) n[b, "readme"]++
  if (f[2] == "pass") {
    p[b, fm]++; p[b, "all"]++
    if (rd) p[b, "readme"]++
  } else {
    r = f[3]
    if (r !~ /^needs / && r != "timeout") r = "output differs"
    cause[b, r]++
    if (!((b, r) in seen)) { seen[b, r] = 1; causes[b] = causes[b] SUBSEP r }
  }
  families[fm] = 1
}
function pct(a, z) { return z ? sprintf("%d/%d (%.1f%%)", a, z, 100 * a / z) : "-" }
function row(label, key,   i, s) {
  s = sprintf("| %-26s | %5d |", label, n[1, key])
  for (i = 1; i <= nb; i++) s = s sprintf(" %-18s |", pct(p[i, key] + 0, n[i, key] + 0))
  print s
}
END {
  printf "control (strace 6.1): %d tests, %d pass, %d skip, %d fail\n\n", total, ctl["pass"], ctl["skip"], ctl["fail"]
  s = "| family                     | tests |"
  for (i = 1; i <= nb; i++) s = s sprintf(" %-18s |", bname[i])
  print s
  s = "|---|---:|"
  for (i = 1; i <= nb; i++) s = s "---|"
  print s
  nf = 0
  for (fm in families) list[++nf] = fm
  # sorted by name: a stable table to diff between runs
  for (i = 1; i <= nf; i++) for (j = i + 1; j <= nf; j++) if (list[j] < list[i]) { x = list[i]; list[i] = list[j]; list[j] = x }
  for (i = 1; i <= nf; i++) row(list[i], list[i])
  row("all", "all")
  row("syscalls the README decodes", "readme")
  for (i = 1; i <= nb; i++) {
    printf "\n%s, failures by cause:\n", bname[i]
    m = split(substr(causes[i], 2), cl, SUBSEP)
    for (a = 1; a <= m; a++) for (c = a + 1; c <= m; c++) if (cause[i, cl[c]] > cause[i, cl[a]]) { x = cl[a]; cl[a] = cl[c]; cl[c] = x }
    for (a = 1; a <= m; a++) printf "  %4d  %s\n", cause[i, cl[a]], cl[a]
  }
}
