// Command gen writes the operation and shape tables of the model package
// from AWS's MPA service model. By default it reads the copy that botocore
// installs, found with python3.
package main

import (
	"flag"
	"log"
	"os"

	"github.com/keyturn/keyturn/internal/mpaapi/model/internal/codegen"
)

func main() {
	modelPath := flag.String("model", "", "path to service-2.json or service-2.json.gz (default: botocore's copy)")
	out := flag.String("out", "", "file to write (default: standard output)")
	flag.Parse()

	path := *modelPath
	if path == "" {
		p, err := codegen.BotocoreModelPath()
		if err != nil {
			log.Fatalf("gen: %v; pass -model", err)
		}
		path = p
	}
	src, err := codegen.Generate(path)
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
	if *out == "" {
		os.Stdout.Write(src)
		return
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatalf("gen: %v", err)
	}
}
