#!/usr/bin/env bash
# cfn: the SAM template passes cfn-lint, and aws-sam-translator turns it
# into plain CloudFormation (what `sam deploy` does first) with every
# function, its role, the schedule, the alarms and the queries there. Both
# tools are Python packages on CI's machine image, not in Debian: where one
# is missing this says so and counts nothing for it.
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0
if command -v cfn-lint >/dev/null; then
  if out=$(cfn-lint infra/template.yaml 2>&1); then
    passed=$((passed + 1)); echo "ok   cfn_lint"
  else
    failed=$((failed + 1)); echo "FAIL cfn_lint: $out" | head -20
  fi
else
  echo "cfn: skipped cfn-lint: not installed (pip install cfn-lint)"
fi
if python3 -c 'import samtranslator, yaml' 2>/dev/null; then
  if out=$(AWS_DEFAULT_REGION=us-east-1 python3 - infra/template.yaml 2>&1 <<'PY'
import sys, yaml
from samtranslator.translator.transform import transform
from samtranslator.public.translator import ManagedPolicyLoader
class Loader(yaml.SafeLoader): pass
def tag(loader, suffix, node):  # !Ref, !Sub, !GetAtt ... as their long forms
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        v = loader.construct_scalar(node)
        if suffix == "GetAtt": v = v.split(".", 1)
        return {name: v}
    if isinstance(node, yaml.SequenceNode): return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}
Loader.add_multi_constructor("!", tag)
tpl = yaml.load(open(sys.argv[1]), Loader=Loader)
for rid, r in tpl["Resources"].items():  # as `sam package` leaves it: the zips uploaded
    if r["Type"] == "AWS::Serverless::Function":
        r["Properties"]["CodeUri"] = "s3://packaged-artifacts/%s.zip" % rid
class NoIam:  # no AWS account here: the managed policies the template names are its own
    def load(self): return {}
cfn = transform(tpl, {"Arch": "x86_64"}, NoIam())
kinds = {}
for r in cfn["Resources"].values(): kinds[r["Type"]] = kinds.get(r["Type"], 0) + 1
need = {"AWS::Lambda::Function": 7, "AWS::IAM::Role": 1, "AWS::Scheduler::Schedule": 1,
        "AWS::CloudWatch::Alarm": 3, "AWS::Logs::QueryDefinition": 7, "AWS::SecretsManager::Secret": 1}
short = {k: (kinds.get(k, 0), n) for k, n in need.items() if kinds.get(k, 0) < n}
if short: sys.exit("too few resources after the transform (have, want): %s" % short)
print("%d resources" % len(cfn["Resources"]))
PY
); then
    passed=$((passed + 1)); echo "ok   sam_translate ($out)"
  else
    failed=$((failed + 1)); echo "FAIL sam_translate: $out" | tail -5
  fi
else
  echo "cfn: skipped the SAM translation: aws-sam-translator is not installed"
fi
echo "cfn: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
