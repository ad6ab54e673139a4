"""One module per endpoint family; each exports `router` and is included by app.main."""
