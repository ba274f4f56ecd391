#!/usr/bin/env bash
# Prints, as `name=value` lines (GitHub step outputs), the newest released
# version of each program the nightly job tries beside the pins.
set -euo pipefail
latest_go() { curl -fsS "https://proxy.golang.org/$1/@latest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Version"])'; }
keycloak=$(curl -fsS https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/maven-metadata.xml \
  | python3 -c 'import sys,xml.etree.ElementTree as t; print(t.parse(sys.stdin).getroot().findtext("versioning/release"))')
# Dex's release tags cannot be fetched as Go modules (README, Versions): the
# native leg builds Dex's newest commit, the container leg runs its newest
# released image.
dex=$(cd "$(mktemp -d)" && go mod init probe >/dev/null 2>&1 && go list -m -json github.com/dexidp/dex@master \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["Version"])')
dex_tag=$(curl -fsS https://api.github.com/repos/dexidp/dex/releases/latest | python3 -c 'import json,sys; print(json.load(sys.stdin)["tag_name"])')
echo "keycloak=$keycloak"
echo "dex=$dex"
echo "dex_image=ghcr.io/dexidp/dex:$dex_tag"
echo "oauth2_proxy=$(latest_go github.com/oauth2-proxy/oauth2-proxy/v7)"
echo "kubelogin=$(latest_go github.com/int128/kubelogin)"
