"""Running simulations: starting and steering runs, their lease and states, the stepper, and the
live run room (pages, websocket, server-sent events, API)."""
