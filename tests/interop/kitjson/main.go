// Command kitjson prints the ModelKit config JSON that kit writes for a
// Kitfile. It mirrors the KitFile struct of kit's pkg/artifact (field
// order, omitempty, the inline LayerInfo) and decodes YAML with go-yaml v3
// and KnownFields, as kit does, so stele's encoder can be compared with
// it byte for byte. kit itself cannot be built here.
//
// Usage: kitjson [-digests] KITFILE
//
// With -digests every layer gets digest sha256("digest:N") and diffId
// sha256("diffid:N"), N counting layers in packing order from 0.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

type kitFile struct {
	ManifestVersion string    `json:"manifestVersion" yaml:"manifestVersion"`
	Package         pkg       `json:"package,omitempty" yaml:"package,omitempty"`
	Model           *model    `json:"model,omitempty" yaml:"model,omitempty"`
	Code            []code    `json:"code,omitempty" yaml:"code,omitempty"`
	DataSets        []dataSet `json:"datasets,omitempty" yaml:"datasets,omitempty"`
	Docs            []docs    `json:"docs,omitempty" yaml:"docs,omitempty"`
	Prompts         []prompt  `json:"prompts,omitempty" yaml:"prompts,omitempty"`
}

type pkg struct {
	Name        string   `json:"name,omitempty" yaml:"name,omitempty"`
	Version     string   `json:"version,omitempty" yaml:"version,omitempty"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	License     string   `json:"license,omitempty" yaml:"license,omitempty"`
	Authors     []string `json:"authors,omitempty" yaml:"authors,omitempty,flow"`
}

type docs struct {
	Path        string `json:"path" yaml:"path"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	*layerInfo  `json:",inline" yaml:",inline"`
}

type model struct {
	Name        string      `json:"name,omitempty" yaml:"name,omitempty"`
	Path        string      `json:"path,omitempty" yaml:"path,omitempty"`
	License     string      `json:"license,omitempty" yaml:"license,omitempty"`
	Framework   string      `json:"framework,omitempty" yaml:"framework,omitempty"`
	Format      string      `json:"format,omitempty" yaml:"format,omitempty"`
	Version     string      `json:"version,omitempty" yaml:"version,omitempty"`
	Description string      `json:"description,omitempty" yaml:"description,omitempty"`
	Parts       []modelPart `json:"parts,omitempty" yaml:"parts,omitempty"`
	Parameters  any         `json:"parameters,omitempty" yaml:"parameters,omitempty"`
	*layerInfo  `json:",inline" yaml:",inline"`
}

type modelPart struct {
	Name       string `json:"name,omitempty" yaml:"name,omitempty"`
	Path       string `json:"path,omitempty" yaml:"path,omitempty"`
	License    string `json:"license,omitempty" yaml:"license,omitempty"`
	Type       string `json:"type,omitempty" yaml:"type,omitempty"`
	*layerInfo `json:",inline" yaml:",inline"`
}

type code struct {
	Path        string `json:"path,omitempty" yaml:"path,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	License     string `json:"license,omitempty" yaml:"license,omitempty"`
	*layerInfo  `json:",inline" yaml:",inline"`
}

type dataSet struct {
	Name        string `json:"name,omitempty" yaml:"name,omitempty"`
	Path        string `json:"path,omitempty" yaml:"path,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	License     string `json:"license,omitempty" yaml:"license,omitempty"`
	Parameters  any    `json:"parameters,omitempty" yaml:"parameters,omitempty"`
	*layerInfo  `json:",inline" yaml:",inline"`
}

type prompt struct {
	Name        string `json:"name,omitempty" yaml:"name,omitempty"`
	Path        string `json:"path,omitempty" yaml:"path,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	*layerInfo  `json:",inline" yaml:",inline"`
}

type layerInfo struct {
	Digest string `json:"digest,omitempty" yaml:"-"`
	DiffId string `json:"diffId,omitempty" yaml:"-"`
}

func fake(kind string, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%d", kind, n)))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// fillDigests numbers the layers in the order kit's saveKitfileLayers
// packs them: model, parts, code, datasets, docs, prompts.
func fillDigests(kf *kitFile) {
	n := 0
	next := func() *layerInfo {
		li := &layerInfo{Digest: fake("digest", n), DiffId: fake("diffid", n)}
		n++
		return li
	}
	if kf.Model != nil {
		if kf.Model.Path != "" {
			kf.Model.layerInfo = next()
		}
		for i := range kf.Model.Parts {
			kf.Model.Parts[i].layerInfo = next()
		}
	}
	for i := range kf.Code {
		kf.Code[i].layerInfo = next()
	}
	for i := range kf.DataSets {
		kf.DataSets[i].layerInfo = next()
	}
	for i := range kf.Docs {
		kf.Docs[i].layerInfo = next()
	}
	for i := range kf.Prompts {
		kf.Prompts[i].layerInfo = next()
	}
}

func main() {
	digests := flag.Bool("digests", false, "fill fake layer digests")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: kitjson [-digests] KITFILE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	var kf kitFile
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&kf); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *digests {
		fillDigests(&kf)
	}
	out, err := json.Marshal(&kf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
