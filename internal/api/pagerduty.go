package api

// pagerdutyRoutes are the PagerDuty-compatible endpoints.
func (a *API) pagerdutyRoutes() []Route { return nil }
