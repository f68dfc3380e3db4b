web-title = Building head
web-not-found-title = Page not found
web-not-found = This link does not lead anywhere. Please scan the poster in your stairwell again, or ask your building head.
