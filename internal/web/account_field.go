package web

// accountField is one input of the sign-in pages (partials/account_fields.html).
type accountField struct {
	Name, Label, Type, Autocomplete, Value, Error string
}

// field builds an accountField for the template: the input's name, label,
// type, autocomplete hint, value, and its error from errs.
func field(name, label, typ, autocomplete, value string, errs formErrors) accountField {
	return accountField{Name: name, Label: label, Type: typ, Autocomplete: autocomplete, Value: value, Error: errs.Field(name)}
}
