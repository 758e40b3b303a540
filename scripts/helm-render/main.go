// helm-render renders a Helm chart the way `helm template` does, for machines where the helm
// binary cannot be installed (it is neither in Debian nor on npm): the same engine, Go's
// text/template with the sprig function library, plus Helm's own functions (include, tpl,
// toYaml, fromYaml, required, fail). Built in GOPATH mode from Debian's golang packages only
// (scripts/install-test-deps.sh). It covers what our chart uses, not all of Helm: no
// subcharts, no hooks, no lookup, no .Capabilities beyond a fixed Kubernetes version.
//
// Usage: helm-render CHART_DIR [-f values.yaml]... [--release NAME] [--namespace NS]
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "helm-render: "+format+"\n", args...)
	os.Exit(1)
}

func readYaml(file string) map[string]interface{} {
	raw, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(raw, &out); err != nil {
		fail("%s: %v", file, err)
	}
	return out
}

// merge lays b over a, recursively for maps (Helm's values coalescing, without null deletion).
func merge(a, b map[string]interface{}) map[string]interface{} {
	for k, v := range b {
		if bm, ok := v.(map[string]interface{}); ok {
			if am, ok := a[k].(map[string]interface{}); ok {
				a[k] = merge(am, bm)
				continue
			}
		}
		a[k] = v
	}
	return a
}

func toYaml(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: helm-render CHART_DIR [-f values.yaml]... [--release NAME] [--namespace NS]")
	}
	chartDir := os.Args[1]
	release, namespace := "release-name", "default"
	values := readYaml(filepath.Join(chartDir, "values.yaml"))
	for i := 2; i < len(os.Args); i++ {
		switch os.Args[i] {
		case "-f":
			i++
			values = merge(values, readYaml(os.Args[i]))
		case "--release":
			i++
			release = os.Args[i]
		case "--namespace":
			i++
			namespace = os.Args[i]
		default:
			fail("unknown argument %s", os.Args[i])
		}
	}
	chart := readYaml(filepath.Join(chartDir, "Chart.yaml"))
	top := map[string]interface{}{
		"Values":  values,
		"Release": map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "Revision": 1},
		"Chart": map[string]interface{}{
			"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"],
		},
		"Capabilities": map[string]interface{}{"KubeVersion": map[string]interface{}{"Version": "v1.30.0", "Major": "1", "Minor": "30"}},
	}
	chartName, _ := chart["name"].(string)
	// Templates are named as Helm names them, so `include (print $.Template.BasePath "/x.yaml")` works.
	basePath := chartName + "/templates"
	top["Template"] = map[string]interface{}{"BasePath": basePath}
	files, _ := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	sort.Strings(files)
	root := template.New("chart").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	funcs["toYaml"] = toYaml
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		out := map[string]interface{}{}
		_ = yaml.Unmarshal([]byte(s), &out)
		return out
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", fmt.Errorf("%s", msg) }
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return buf.String(), err
	}
	root.Funcs(funcs)
	var names []string
	for _, f := range files {
		base := filepath.Base(f)
		if !(strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".tpl")) {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			fail("%v", err)
		}
		if _, err := root.New(basePath + "/" + base).Parse(string(raw)); err != nil {
			fail("%s: %v", base, err)
		}
		if !strings.HasPrefix(base, "_") {
			names = append(names, base)
		}
	}
	for _, name := range names {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, basePath+"/"+name, top); err != nil {
			fail("%s: %v", name, err)
		}
		out := strings.TrimSpace(buf.String())
		if out == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s/templates/%s\n%s\n", chartName, name, out)
	}
}
