package web

// labeledErrors files err like newFormErrors and prefixes each field's
// message with the field's label ("E-mail: must be an e-mail address"), so
// a message reads right wherever it shows, or when a screen reader reads it
// out. The keys of labels are the form's inputs, named as the domain names
// its fields.
func labeledErrors(err error, labels map[string]string) formErrors {
	fields := make([]string, 0, len(labels))
	for f := range labels {
		fields = append(fields, f)
	}
	fe := newFormErrors(err, fields...)
	for k, msg := range fe.Fields {
		fe.Fields[k] = labels[k] + ": " + msg
	}
	return fe
}
