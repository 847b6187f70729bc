package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// serviceListPage is the model of service_list.html.
type serviceListPage struct {
	layout
	Services []*vigil.Service
	Total    int
	Create   serviceForm
}

// serviceForm is the "New service" form, as typed.
type serviceForm struct {
	Name           string
	Description    string
	GroupingMode   string
	GroupingWindow string
	GroupingLabels string
	AutoResolve    bool
	Triage         triageForm
	ModeOptions    []option
	Errors         formErrors
}

// serviceFormFields are the form's inputs, named as the domain names its
// fields so errors land next to the right input.
var serviceFormFields = append([]string{"name", "description", "grouping.mode", "grouping.window", "grouping.labels"}, triageFormFields...)

func newServiceForm() serviceForm {
	f := serviceForm{GroupingMode: vigil.GroupByTime, GroupingWindow: vigil.DefaultGroupWindow.String()}
	f.ModeOptions = groupingModeOptions(f.GroupingMode)
	return f
}

func groupingModeOptions(selected string) []option {
	labels := map[string]string{
		vigil.GroupByTime:   "time: join the newest open incident within the window",
		vigil.GroupByLabels: "labels: join the open incident with the same label values",
		vigil.GroupNone:     "none: one incident per alert",
	}
	var opts []option
	for _, m := range []string{vigil.GroupByTime, vigil.GroupByLabels, vigil.GroupNone} {
		opts = append(opts, option{Value: m, Label: labels[m], Selected: m == selected})
	}
	return opts
}

// serviceList answers GET /services.
func (u *UI) serviceList(w http.ResponseWriter, r *http.Request) {
	m, err := u.serviceListModel(w, r, newServiceForm())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "service_list.html", m)
}

func (u *UI) serviceListModel(w http.ResponseWriter, r *http.Request, f serviceForm) (serviceListPage, error) {
	services, total, err := u.store.FindServices(r.Context(), vigil.ServiceFilter{Limit: vigil.MaxPageSize})
	if err != nil {
		return serviceListPage{}, err
	}
	return serviceListPage{
		layout:   u.layout(w, r, "Services", "services"),
		Services: services,
		Total:    total,
		Create:   f,
	}, nil
}
