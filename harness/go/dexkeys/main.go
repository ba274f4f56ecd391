// Command dexkeys prints, as JSON, the config keys a Dex source tree reads:
// the json tags of the structs that Dex unmarshals its config file into.
// Where a type has its own UnmarshalJSON, the struct that method decodes into
// is what counts (Dex's connectors and static passwords read that way).
//
// Usage: dexkeys <dex module dir>
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// section: a part of the config, the file and type that reads it, and an
// optional field whose anonymous struct type is the section.
type section struct {
	name, file, typ, field string
}

var sections = []section{
	{"top", "cmd/dex/config.go", "Config", ""},
	{"web", "cmd/dex/config.go", "Web", ""},
	{"oauth2", "cmd/dex/config.go", "OAuth2", ""},
	{"expiry", "cmd/dex/config.go", "Expiry", ""},
	{"logger", "cmd/dex/config.go", "Logger", ""},
	{"connector", "cmd/dex/config.go", "Connector", ""},
	{"static_password", "cmd/dex/config.go", "password", ""},
	{"static_client", "storage/storage.go", "Client", ""},
	{"oidc", "connector/oidc/oidc.go", "Config", ""},
	{"oidc_claim_mapping", "connector/oidc/oidc.go", "Config", "ClaimMapping"},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dexkeys <dex module dir>")
		os.Exit(2)
	}
	out := map[string][]string{}
	for _, s := range sections {
		keys, err := read(filepath.Join(os.Args[1], s.file), s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "dexkeys: %s: %v\n", s.name, err)
			os.Exit(1)
		}
		out[s.name] = keys
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func read(path string, s section) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	var decl *ast.StructType
	var custom *ast.StructType
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				if ts, ok := spec.(*ast.TypeSpec); ok && ts.Name.Name == s.typ {
					decl, _ = ts.Type.(*ast.StructType)
				}
			}
		case *ast.FuncDecl:
			if d.Name.Name == "UnmarshalJSON" && d.Recv != nil && receiver(d) == s.typ {
				ast.Inspect(d.Body, func(n ast.Node) bool {
					if st, ok := n.(*ast.StructType); ok && custom == nil {
						custom = st
					}
					return custom == nil
				})
			}
		}
	}
	st := decl
	if custom != nil && s.field == "" {
		st = custom
	}
	if st == nil {
		return nil, fmt.Errorf("no struct %s in %s", s.typ, path)
	}
	if s.field != "" {
		st = nil
		for _, fld := range decl.Fields.List {
			for _, n := range fld.Names {
				if n.Name == s.field {
					st, _ = fld.Type.(*ast.StructType)
				}
			}
		}
		if st == nil {
			return nil, fmt.Errorf("no struct field %s.%s in %s", s.typ, s.field, path)
		}
	}
	keys := []string{}
	for _, fld := range st.Fields.List {
		if fld.Tag == nil {
			continue
		}
		tag, err := strconv.Unquote(fld.Tag.Value)
		if err != nil {
			return nil, err
		}
		name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys, nil
}

func receiver(d *ast.FuncDecl) string {
	t := d.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
