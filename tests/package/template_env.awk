# template_env.awk: the Environment a function of infra/template.yaml gets on
# Lambda, as NAME=value lines: Globals.Function.Environment.Variables merged key
# by key with the function's own (SAM's rule; the function's win).
#   awk -v fn=CandlesFunction -v refs='Param=value;Resource=value' -f template_env.awk infra/template.yaml
# !Ref NAME and ${NAME} in !Sub take refs first, then the parameter's Default.
# Anything else it cannot resolve (another intrinsic, an unknown name) stops it
# with status 1 and a line saying which variable: the package test must then
# learn that value, never guess it.
function indent(s) { match(s, /^ */); return RLENGTH }
function unquote(v) {
  if (v ~ /^'.*'$/ || v ~ /^".*"$/) return substr(v, 2, length(v) - 2)
  return v
}
function ref(name, var) {
  if (name in R) return R[name]
  if (name in DEF) return DEF[name]
  printf "template_env: %s: no value for %s (give it in refs)\n", var, name > "/dev/stderr"
  bad = 1
  return ""
}
function resolve(var, v, out, name) {
  v = unquote(v)
  if (v ~ /^!Ref /) return ref(substr(v, 6), var)
  if (v ~ /^!Sub /) {
    v = unquote(substr(v, 6)); out = ""
    while (match(v, /\$\{[A-Za-z0-9_.]+\}/)) {
      name = substr(v, RSTART + 2, RLENGTH - 3)
      out = out substr(v, 1, RSTART - 1) ref(name, var)
      v = substr(v, RSTART + RLENGTH)
    }
    return out v
  }
  if (v ~ /^!/) {
    printf "template_env: %s: cannot resolve %s\n", var, v > "/dev/stderr"
    bad = 1
  }
  return v
}
BEGIN {
  n = split(refs, kv, ";")
  for (i = 1; i <= n; i++) if (kv[i] != "") { split(kv[i], p, "="); R[p[1]] = substr(kv[i], length(p[1]) + 2) }
}
/^[^ #]/ { top = $1; sub(/:.*/, "", top); res = ""; venv = -1 }
/^  [A-Za-z0-9]+:/ && top == "Resources" { res = $1; sub(/:.*/, "", res); venv = -1 }
/^  [A-Za-z0-9]+:/ && top == "Parameters" { param = $1; sub(/:.*/, "", param) }
/^    Default:/ && top == "Parameters" { v = $0; sub(/^ *Default: */, "", v); DEF[param] = unquote(v) }
{
  line = $0
  if (line ~ /^ *(#|$)/) next
  ind = indent(line)
  if (venv >= 0 && ind <= venv) venv = -1
  if (venv >= 0) {
    key = line; sub(/^ */, "", key); val = key
    sub(/:.*/, "", key); sub(/^[^:]*: */, "", val)
    if (top == "Globals") G[key] = val
    else if (res == fn) F[key] = val
    next
  }
  if (line ~ /^ *Variables:/ && prev_env >= 0 && ind > prev_env) venv = ind
  if (line ~ /^ *Environment:/) prev_env = ind; else if (line !~ /^ *Variables:/) prev_env = -1
}
END {
  for (k in G) if (!(k in F)) F[k] = G[k]
  for (k in F) printf "%s=%s\n", k, resolve(k, F[k])
  exit bad
}
