#!/usr/bin/env bash
# A second, independent secret check next to secretlint. It greps the files git knows about (tracked
# files, plus untracked files that are not ignored, so it also works before a commit) for
#   - PEM private keys (a "BEGIN ... PRIVATE KEY" line), and
#   - live Omise-style secret keys: skey_ followed by 19+ lowercase letters or digits (test keys are
#     skey_test_..., and the underscore keeps them out of the match),
# outside test code (*.test.*, test/, testing.ts, fixtures/, *.fixture.*), which names such strings on
# purpose; secretlint still reads test code for real key material. Exits 1 naming file and line, never
# the secret itself.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

# Built from parts so that this script does not match its own pattern.
dashes='-----'
pem_re="${dashes}BEGIN .*PRIVATE KEY${dashes}"
skey_re='skey_[0-9a-z]{19,}'

is_test_code() {
  [[ $1 == *.test.* || $1 == *.fixture.* || $1 == test/* || $1 == */test/* || $1 == */testing.ts || $1 == */fixtures/* ]]
}

found=0
report() { # file, pattern name, matching line numbers
  echo "secret-scan: $1: $2 on line(s) $3" >&2
  found=1
}

checked=0
while IFS= read -r -d '' file; do
  [[ -f $file && ! -L $file ]] || continue
  is_test_code "$file" && continue
  checked=$((checked + 1))
  lines=$(grep -IEn -- "$pem_re" "$file" | cut -d: -f1 | paste -sd, -) || true
  [[ -z $lines ]] || report "$file" 'PEM private key' "$lines"
  lines=$(grep -IEn -- "$skey_re" "$file" | cut -d: -f1 | paste -sd, -) || true
  [[ -z $lines ]] || report "$file" 'live Omise secret key (skey_...)' "$lines"
done < <(git ls-files -z --cached --others --exclude-standard)

if [[ $found -ne 0 ]]; then
  echo "secret-scan: FAILED. Remove the secret, rotate it if it was ever pushed, and load it from the environment or the data dir." >&2
  exit 1
fi
echo "secret-scan: $checked files (test code excluded), no PEM private keys, no live Omise secret keys"
