package api

// alertmanagerRoutes are the Alertmanager-compatible endpoints.
func (a *API) alertmanagerRoutes() []Route { return nil }
