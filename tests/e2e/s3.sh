#!/usr/bin/env bash
# End to end: the `aws s3` commands people use (mb, ls, cp up and down, multipart for large files,
# sync, rm, rb, presign) and `aws s3api` calls, with the AWS CLI (v1 and v2, each one found),
# unchanged but for --endpoint-url. Prints one line per check and a closing "N passed, N failed" line.
# Exit status: 0 all passed, 1 a check failed, 77 no AWS CLI or no python3 here (reported as a skip).
set -uo pipefail

# shellcheck source=tests/e2e/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

command -v python3 >/dev/null || { echo "skipped: no python3 for the checks"; exit 77; }

# Path-style addressing: bucket.localhost names do not resolve everywhere (no systemd-resolved here).
printf '[default]\ns3 =\n    addressing_style = path\n' >"$WORK/config"
export AWS_CONFIG_FILE="$WORK/config"

mkdir -p "$WORK/site/css" "$WORK/down"
echo "<h1>hello</h1>" >"$WORK/site/index.html"
echo "body { color: red }" >"$WORK/site/css/main.css"
echo "small file" >"$WORK/small.txt"
# 20 MiB: over the CLI's 8 MiB multipart threshold, so it goes up in parts and comes down in ranges
head -c $((20 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"

suite() {
  local v b
  v="$("$CLI" --version 2>&1 | cut -d' ' -f1)"
  b="e2e-${v//[^a-z0-9]/-}"
  b="${b//--/-}"
  echo "# $v ($CLI)"

  cli s3 mb "s3://$b"
  expect "$v: s3 mb" "$RC" 0
  cli s3 ls
  if grep -q " $b\$" "$WORK/out"; then pass "$v: s3 ls lists the bucket"; else fail "$v: s3 ls" "$WORK/out" "$WORK/err"; fi

  cli s3 cp "$WORK/small.txt" "s3://$b/docs/small.txt"
  expect "$v: s3 cp up" "$RC" 0
  cli s3 cp "s3://$b/docs/small.txt" "$WORK/down/small.txt"
  expect "$v: s3 cp down gives the same bytes" "$(cmp -s "$WORK/small.txt" "$WORK/down/small.txt" && echo same)" same

  cli s3 cp "$WORK/big.bin" "s3://$b/big.bin"
  expect "$v: s3 cp up of 20 MiB (multipart)" "$RC" 0
  cli s3api head-object --bucket "$b" --key big.bin
  expect "$v: the large object's ETag is a multipart ETag" "$(field ETag | sed 's/.*-\([0-9]*\)"$/parts \1/')" "parts 3"
  cli s3 cp "s3://$b/big.bin" "$WORK/down/big.bin"
  expect "$v: s3 cp down of 20 MiB gives the same bytes" "$(cmp -s "$WORK/big.bin" "$WORK/down/big.bin" && echo same)" same

  cli s3 sync "$WORK/site" "s3://$b/site"
  expect "$v: s3 sync up" "$RC" 0
  cli s3 ls "s3://$b/site/" --recursive
  expect "$v: s3 ls --recursive after sync" "$(wc -l <"$WORK/out" | tr -d ' ')" 2
  cli s3 sync "$WORK/site" "s3://$b/site"
  expect "$v: a second sync uploads nothing" "$(grep -c upload "$WORK/out")" 0
  cli s3 ls "s3://$b/"
  if grep -q "PRE site/" "$WORK/out" && grep -q "PRE docs/" "$WORK/out"; then pass "$v: s3 ls shows prefixes"; else fail "$v: s3 ls prefixes" "$WORK/out"; fi

  cli s3api put-object --bucket "$b" --key "meta/a b.txt" --body "$WORK/small.txt" --metadata color=blue --content-type text/plain
  expect "$v: s3api put-object" "$RC" 0
  cli s3api head-object --bucket "$b" --key "meta/a b.txt"
  expect "$v: s3api head-object metadata" "$(field Metadata.color)" blue
  cli s3api get-object --bucket "$b" --key "meta/a b.txt" --range bytes=0-4 "$WORK/down/range.txt"
  expect "$v: s3api get-object --range" "$(cat "$WORK/down/range.txt")" small
  cli s3api list-objects-v2 --bucket "$b" --delimiter / --prefix meta/
  expect "$v: s3api list-objects-v2 with a space in a key" "$(field Contents.0.Key)" "meta/a b.txt"
  cli s3api get-object --bucket "$b" --key nope "$WORK/down/nope"
  expect_error "$v: s3api get-object of a missing key" NoSuchKey "The specified key does not exist."

  cli s3 presign "s3://$b/docs/small.txt" --expires-in 300
  expect "$v: s3 presign URL is served" "$(python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode().strip())' "$(cat "$WORK/out")" 2>&1)" "small file"

  # versioning, in a bucket of its own: rb --force removes current objects only, not versions
  cli s3 mb "s3://$b-ver"
  cli s3api put-bucket-versioning --bucket "$b-ver" --versioning-configuration Status=Enabled
  expect "$v: s3api put-bucket-versioning" "$RC" 0
  cli s3api get-bucket-versioning --bucket "$b-ver"
  expect "$v: s3api get-bucket-versioning" "$(field Status)" Enabled
  echo "first" >"$WORK/v1.txt"
  cli s3api put-object --bucket "$b-ver" --key doc.txt --body "$WORK/v1.txt"
  local first
  first="$(field VersionId)"
  cli s3api put-object --bucket "$b-ver" --key doc.txt --body "$WORK/small.txt"
  cli s3api list-object-versions --bucket "$b-ver"
  expect "$v: s3api list-object-versions lists the older version second" "$(field Versions.1.VersionId) $(field Versions.0.IsLatest)" "$first true"
  cli s3api get-object --bucket "$b-ver" --key doc.txt --version-id "$first" "$WORK/down/v1.txt"
  expect "$v: s3api get-object --version-id" "$(cat "$WORK/down/v1.txt")" first
  cli s3api delete-object --bucket "$b-ver" --key doc.txt
  expect "$v: s3api delete-object makes a delete marker" "$(field DeleteMarker)" true
  cli s3api get-object --bucket "$b-ver" --key doc.txt "$WORK/down/gone.txt"
  expect_error "$v: s3api get-object behind a delete marker" NoSuchKey

  # a version after the delete marker: listed by key, newest first, one per page across versions and markers
  cli s3api put-object --bucket "$b-ver" --key doc.txt --body "$WORK/v1.txt"
  cli s3api list-object-versions --bucket "$b-ver" --page-size 1
  expect "$v: s3api list-object-versions --page-size 1 pages through versions and delete markers" \
    "$(field Versions.0.IsLatest) $(field Versions.2.VersionId) $(field DeleteMarkers.0.IsLatest)" "true $first false"

  # multipart with part checksums: the object's checksum is the composite "checksum of checksums-N"
  cli s3api create-multipart-upload --bucket "$b" --key parts.txt --checksum-algorithm CRC32
  local upload etag crc
  upload="$(field UploadId)"
  cli s3api upload-part --bucket "$b" --key parts.txt --upload-id "$upload" --part-number 1 --body "$WORK/small.txt" --checksum-algorithm CRC32
  etag="$(field ETag)"
  crc="$(field ChecksumCRC32)"
  cli s3api list-parts --bucket "$b" --key parts.txt --upload-id "$upload"
  expect "$v: s3api list-parts gives the part's checksum" "$(field Parts.0.ChecksumCRC32)" "$crc"
  cli s3api complete-multipart-upload --bucket "$b" --key parts.txt --upload-id "$upload" --multipart-upload \
    "$(python3 -c 'import json,sys; print(json.dumps({"Parts": [{"PartNumber": 1, "ETag": sys.argv[1], "ChecksumCRC32": sys.argv[2]}]}))' "$etag" "$crc")"
  local composite
  composite="$(python3 -c 'import base64,sys,zlib; c=zlib.crc32(base64.b64decode(sys.argv[1])); print(base64.b64encode(c.to_bytes(4,"big")).decode()+"-1")' "$crc")"
  expect "$v: s3api complete-multipart-upload gives the composite checksum" "$(field ChecksumCRC32)" "$composite"
  cli s3api head-object --bucket "$b" --key parts.txt --checksum-mode ENABLED
  expect "$v: s3api head-object --checksum-mode ENABLED" "$(field ChecksumCRC32)" "$composite"

  cli s3 rm "s3://$b/site" --recursive
  expect "$v: s3 rm --recursive" "$(grep -c '^delete:' "$WORK/out")" 2
  cli s3 rb "s3://$b"
  expect_error "$v: s3 rb of a bucket with objects" BucketNotEmpty
  cli s3 rb "s3://$b" --force
  expect "$v: s3 rb --force" "$RC" 0
  cli s3api head-bucket --bucket "$b"
  # HEAD answers carry no body, so the CLIs see the status only: "(404) ... Not Found"
  if ((RC != 0)) && grep -q "(404)" "$WORK/err"; then pass "$v: the bucket is gone"; else fail "$v: the bucket is gone" "$WORK/err"; fi
}

if start_server ephemeral --ephemeral; then
  for CLI in "${clis[@]}"; do suite; done
  stop_server ephemeral TERM
fi

echo "s3.sh: $passed passed, $failed failed"
((failed == 0))
