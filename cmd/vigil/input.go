package main

import (
	"fmt"
	"io"
	"os"
)

// readInput reads the file a --file flag names, "-" meaning standard input.
// More than limit bytes is refused rather than silently cut, so a document
// is never applied half read.
func readInput(e *env, file string, limit int64) ([]byte, error) {
	if file == "" {
		return nil, fmt.Errorf("--file is required (- reads standard input)")
	}
	var r io.Reader = e.stdin
	name := "standard input"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		defer f.Close()
		r, name = f, file
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return b, nil
}
