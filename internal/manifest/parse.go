package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxSize bounds a document.
const MaxSize = 4 << 20

// maxErrors is how many problems one report lists.
const maxErrors = 20

// Error is a problem at a path of the document.
type Error struct {
	// Path names the field: "schedules[0].layers[1].turn_unit"; empty for
	// the document as a whole.
	Path string
	// Line is the line of the field (or of the nearest enclosing one) in
	// the source, 0 when unknown.
	Line int
	Msg  string
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d)", e.Line)
	}
	return s
}

// Errors is every problem found, in document order.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i == maxErrors {
			fmt.Fprintf(&b, "\n... and %d more", len(es)-maxErrors)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// errs collects problems with the line of their path.
type errs struct {
	lines map[string]int
	list  Errors
}

func (c *errs) add(path, format string, args ...any) {
	c.list = append(c.list, &Error{Path: path, Line: lineOf(c.lines, path), Msg: fmt.Sprintf(format, args...)})
}

func (c *errs) err() error {
	if len(c.list) == 0 {
		return nil
	}
	return c.list
}

// lineOf is the line of path, or of the nearest enclosing path known.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}

// Parse reads one YAML (or JSON) document. Unknown fields, type mismatches,
// duplicate keys, anchors and aliases are errors naming the path and line.
// An empty document is an empty manifest. Parse checks the shape only;
// Check checks the values.
func Parse(doc []byte) (*Manifest, error) {
	if len(doc) > MaxSize {
		return nil, Errors{{Msg: fmt.Sprintf("the document is larger than %d MiB", MaxSize>>20)}}
	}
	m := &Manifest{lines: map[string]int{}}
	if len(bytes.TrimSpace(doc)) == 0 {
		return m, nil
	}
	f, err := parser.ParseBytes(doc, 0)
	if err != nil {
		return nil, Errors{yamlError(err, nil)}
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			return nil, Errors{{Line: d.Body.GetToken().Position.Line,
				Msg: "one YAML document is expected: put every object in one document, under users:, teams:, schedules:, escalation_policies: and services:"}}
		}
		body = d.Body
	}
	if body == nil {
		return m, nil
	}
	var problem error
	ast.Walk(visitor(func(n ast.Node) bool {
		switch n.(type) {
		case *ast.AliasNode, *ast.AnchorNode:
			if problem == nil {
				problem = Errors{{Path: cleanPath(n.GetPath()), Line: n.GetToken().Position.Line, Msg: "anchors and aliases are not supported"}}
			}
			return false
		}
		if p := cleanPath(n.GetPath()); p != "" {
			if _, ok := m.lines[p]; !ok {
				m.lines[p] = n.GetToken().Position.Line
			}
		}
		return true
	}), body)
	if problem != nil {
		return nil, problem
	}
	switch body.(type) {
	case *ast.NullNode:
		return m, nil
	case *ast.MappingNode, *ast.MappingValueNode:
	default:
		return nil, Errors{{Line: body.GetToken().Position.Line,
			Msg: "the document must be a mapping with users:, teams:, schedules:, escalation_policies: and services: lists"}}
	}
	// The first pass finds shape errors with their position. The second
	// reads every text field as written: plain YAML turns +4915112345678
	// into a number and would give the string back without its plus.
	var probe Manifest
	if err := decode(body, &probe, yaml.Strict()); err != nil {
		return nil, Errors{yamlError(err, body)}
	}
	if err := decode(body, m, yaml.Strict(), yaml.CustomUnmarshaler[string](literalString)); err != nil {
		return nil, Errors{yamlError(err, body)}
	}
	return m, nil
}

// decode is yaml.NodeToValue, with a panic of the YAML library (a bare tag
// on an empty value, found by fuzzing) turned into an error.
func decode(body ast.Node, v any, opts ...yaml.DecodeOption) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("the document could not be read (an unsupported YAML construct, such as a tag without a value)")
		}
	}()
	return yaml.NodeToValue(body, v, opts...)
}

// literalString reads a scalar into a string as it is written.
func literalString(s *string, b []byte) error {
	f, err := parser.ParseBytes(b, 0)
	if err != nil {
		return err
	}
	if len(f.Docs) == 1 && f.Docs[0].Body != nil {
		switch n := f.Docs[0].Body.(type) {
		case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
			*s = n.GetToken().Value
			return nil
		}
	}
	return yaml.Unmarshal(b, s)
}

type visitor func(ast.Node) bool

func (v visitor) Visit(n ast.Node) ast.Visitor {
	if !v(n) {
		return nil
	}
	return v
}

// cleanPath turns a YAML path ("$.schedules[0].name") into a field path.
func cleanPath(p string) string {
	return strings.TrimPrefix(strings.TrimPrefix(p, "$"), ".")
}

// yamlError words a YAML library error with the path of its node.
func yamlError(err error, body ast.Node) *Error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return &Error{Msg: err.Error()}
	}
	e := &Error{Msg: ye.GetMessage()}
	tk := ye.GetToken()
	if tk != nil && tk.Position != nil {
		e.Line = tk.Position.Line
	}
	var node ast.Node
	if body != nil && tk != nil {
		ast.Walk(visitor(func(n ast.Node) bool {
			if node == nil && n.GetToken() == tk {
				node = n
			}
			return node == nil
		}), body)
	}
	if node != nil {
		e.Path = cleanPath(node.GetPath())
	}
	var (
		unknown *yaml.UnknownFieldError
		typ     *yaml.TypeError
		nodeTyp *yaml.UnexpectedNodeTypeError
	)
	switch {
	case errors.As(err, &unknown):
		e.Msg = "unknown field"
		if e.Path == "" && tk != nil {
			e.Msg = fmt.Sprintf("unknown field %q", tk.Value)
		}
	case errors.As(err, &typ):
		got := "a " + strings.ToLower(fmt.Sprint(typ.SrcType))
		if node != nil {
			got = nodeWord(node.Type())
		}
		e.Msg = fmt.Sprintf("want %s, got %s", kindWord(typ.DstType), got)
	case errors.As(err, &nodeTyp):
		e.Msg = fmt.Sprintf("want %s, got %s", nodeWord(nodeTyp.Expected), nodeWord(nodeTyp.Actual))
	}
	return e
}

func kindWord(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping (key: value)"
	}
	return t.String()
}

func nodeWord(t ast.NodeType) string {
	switch t {
	case ast.SequenceType:
		return "a list"
	case ast.MappingType, ast.MappingValueType:
		return "a mapping (key: value)"
	case ast.StringType, ast.LiteralType:
		return "text"
	case ast.IntegerType, ast.FloatType, ast.InfinityType, ast.NanType:
		return "a number"
	case ast.BoolType:
		return "true or false"
	case ast.NullType:
		return "nothing (null)"
	}
	return strings.ToLower(t.String())
}

// Format writes m as YAML that Parse reads back to the same document.
func Format(m *Manifest) ([]byte, error) {
	out, err := marshal(m)
	if err != nil {
		return nil, err
	}
	// The YAML writer and reader disagree on a few rare characters; check
	// that what was written reads back and writes out the same.
	back, err := Parse(out)
	if err != nil {
		return nil, fmt.Errorf("the YAML written does not read back: %w", err)
	}
	again, err := marshal(back)
	if err != nil || !bytes.Equal(again, out) {
		return nil, errors.New("the YAML written does not read back the same")
	}
	return out, nil
}

func marshal(m *Manifest) ([]byte, error) {
	return yaml.MarshalWithOptions(m, yaml.IndentSequence(true), yaml.UseLiteralStyleIfMultiline(true))
}
