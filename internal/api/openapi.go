package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// oneOf documents a body that may take one of several shapes.
type oneOf []any

// OpenAPI returns the OpenAPI 3.1 document of the routes, generated from
// the route table and the Go types of their bodies.
func (a *API) OpenAPI() ([]byte, error) {
	a.docOnce.Do(func() {
		a.doc, a.docErr = json.MarshalIndent(BuildOpenAPI(a.routes), "", "  ")
	})
	return a.doc, a.docErr
}

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) error {
	doc, err := a.OpenAPI()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(doc)
	return nil
}

var pathParamRE = regexp.MustCompile(`\{([A-Za-z_]+)\}`)

// BuildOpenAPI builds the document of routes as JSON-ready maps.
func BuildOpenAPI(routes []Route) map[string]any {
	g := &schemaGen{components: map[string]any{}, names: map[reflect.Type]string{}}
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
		}
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Pattern, -1) {
			// Vigil's ids are integers; the drop-in formats' identifiers
			// (an Opsgenie alias, a heartbeat name, a request id) are text.
			schema := map[string]any{"type": "string"}
			if m[1] == "id" || strings.HasSuffix(m[1], "_id") {
				schema = map[string]any{"type": "integer", "format": "int64", "minimum": 1}
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": schema})
		}
		for _, q := range rt.Query {
			s := map[string]any{"type": "string"}
			switch q.Type {
			case "integer":
				s = map[string]any{"type": "integer"}
			case "boolean":
				s = map[string]any{"type": "boolean"}
			case "date-time":
				s = map[string]any{"type": "string", "format": "date-time"}
			}
			p := map[string]any{"name": q.Name, "in": "query", "schema": s}
			if q.Description != "" {
				p["description"] = q.Description
			}
			if q.Repeated {
				p["schema"] = map[string]any{"type": "array", "items": s}
				p["style"], p["explode"] = "form", true
			}
			params = append(params, p)
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{
				"required": true,
				"content":  map[string]any{"application/json": map[string]any{"schema": g.schema(rt.Request)}},
			}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.Response != nil && status != http.StatusNoContent {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(rt.Response)}}
		}
		errResp := map[string]any{
			"description": "An error: {\"error\":{\"code\",\"message\",\"field\"}}",
			"content":     map[string]any{"application/json": map[string]any{"schema": g.schema(ErrorResponse{})}},
		}
		op["responses"] = map[string]any{strconv.Itoa(status): ok, "default": errResp}
		switch rt.Auth {
		case AuthToken:
			op["security"] = []any{map[string]any{"apiToken": []any{}}}
		case AuthIntegration:
			op["security"] = []any{map[string]any{"integrationKey": []any{}}}
		case AuthTokenOrIntegration:
			op["security"] = []any{map[string]any{"apiToken": []any{}}, map[string]any{"integrationKey": []any{}}}
		default:
			op["security"] = []any{}
		}
		if rt.Perm != "" {
			// The permission (and token scope) the route needs.
			op["x-vigil-permission"] = rt.Perm
			// Who else may, by a grant of the owning team.
			if rt.TeamScoped && rt.Perm == vigil.PermRespond {
				op["x-vigil-team-responders"] = true
			} else if rt.TeamScoped {
				op["x-vigil-team-managers"] = true
			}
		}
		if paths[rt.Pattern] == nil {
			paths[rt.Pattern] = map[string]any{}
		}
		paths[rt.Pattern][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Vigil API",
			"version":     "1",
			"description": "Vigil's JSON API. Every error answer is {\"error\":{\"code\",\"message\",\"field\"}}.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"apiToken": map[string]any{
					"type": "http", "scheme": "bearer",
					"description": "An API token (vgt_...) in Authorization: Bearer.",
				},
				"integrationKey": map[string]any{
					"type": "http", "scheme": "bearer",
					"description": "A service's integration key (vgi_...) in Authorization: Bearer.",
				},
			},
		},
		"security": []any{map[string]any{"apiToken": []any{}}},
	}
}

func operationID(rt Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.Split(strings.TrimPrefix(rt.Pattern, "/api/v1/"), "/") {
		part = strings.Trim(part, "{}")
		for _, w := range strings.FieldsFunc(part, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// schemaGen turns Go types into JSON Schema by their json tags. Named
// struct types become components referenced by $ref.
type schemaGen struct {
	components map[string]any
	names      map[reflect.Type]string
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	rawType      = reflect.TypeFor[json.RawMessage]()
	durationType = reflect.TypeFor[vigil.Duration]()
	severityType = reflect.TypeFor[vigil.Severity]()
	clockType    = reflect.TypeFor[vigil.ClockTime]()
)

func (g *schemaGen) schema(v any) map[string]any {
	if alts, ok := v.(oneOf); ok {
		var list []any
		for _, alt := range alts {
			list = append(list, g.schema(alt))
		}
		return map[string]any{"oneOf": list}
	}
	return g.typeSchema(reflect.TypeOf(v))
}

func (g *schemaGen) typeSchema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{"type": "object", "description": "any JSON object"}
	case durationType:
		return map[string]any{"type": "string", "description": "a Go duration like \"5m\" (a number of seconds is accepted too)"}
	case clockType:
		return map[string]any{"type": "string", "pattern": "^[0-2]?[0-9]:[0-5][0-9]$", "description": "a time of day, \"HH:MM\""}
	case severityType:
		sev := make([]any, len(vigil.Severities))
		for i, s := range vigil.Severities {
			sev[i] = string(s)
		}
		return map[string]any{"type": "string", "enum": sev}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": g.typeSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.typeSchema(t.Elem())}
	case reflect.Struct:
		return g.structRef(t)
	}
	return map[string]any{} // interfaces: any JSON value
}

// structRef returns a $ref to the component of a named struct (generic
// instances and anonymous structs are inlined).
func (g *schemaGen) structRef(t reflect.Type) map[string]any {
	name := t.Name()
	if name == "" || strings.Contains(name, "[") {
		return g.structSchema(t)
	}
	if n, ok := g.names[t]; ok {
		return map[string]any{"$ref": "#/components/schemas/" + n}
	}
	n := name
	for i := 2; g.components[n] != nil; i++ {
		n = name + strconv.Itoa(i) // same name in two packages
	}
	g.names[t] = n
	g.components[n] = map[string]any{} // placeholder for recursive types
	g.components[n] = g.structSchema(t)
	return map[string]any{"$ref": "#/components/schemas/" + n}
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	g.addFields(t, props)
	return map[string]any{"type": "object", "properties": props}
}

func (g *schemaGen) addFields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			g.addFields(ft, props) // embedded: fields are promoted
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.typeSchema(f.Type)
		if enum := f.Tag.Get("enum"); enum != "" {
			var vals []any
			for _, v := range strings.Split(enum, ",") {
				vals = append(vals, v)
			}
			s = map[string]any{"type": "string", "enum": vals}
		}
		props[name] = s
	}
}
