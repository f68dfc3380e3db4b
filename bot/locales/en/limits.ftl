# Button presses past the per-person limit (a toast, at most 200 characters).
flood-slow-down-press = You are pressing buttons very fast. Please wait a minute and try again.
