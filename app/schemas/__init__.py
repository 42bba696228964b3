"""Request and response shapes of the JSON API: `...Create`/`...Update` in, `...Public` out."""
