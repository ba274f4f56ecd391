module oidc-harness/go/dexkeys

go 1.26.0
