web-title = Building head
web-not-found-title = Page not found
web-not-found = This link does not lead anywhere. Please scan the poster in your stairwell again, or ask your building head.

## The office console (/web in chat, /console in the browser)
cmd-web = Open the office console in a browser
console-link = Your sign-in link to the office console (works once, for 10 minutes; do not pass it on):
    { $link }
console-not-staff = The office console is for building heads, coordinators and the community office. To report a problem, just write it here.
console-title = Office console
console-sign-in-title = Sign in to the office console
console-sign-in-continue = You are about to sign in to the office console on this device.
console-continue = Continue
console-link-invalid-title = This sign-in link does not work
console-link-invalid = The link was used already, has expired (it works for 10 minutes) or is incomplete. Send /web to the bot for a new one.
console-signed-out-title = Not signed in
console-signed-out = To sign in, send /web to the bot in Telegram and open the link it gives you.
console-no-access-title = No access
console-no-access = Your current roles do not give you access to the office console. If you think this is wrong, ask the community office.
console-forbidden-title = Request refused
console-forbidden = This form was sent without its security token or from another site. Reload the page and try again.
console-signed-in-as = Signed in as { $name }
console-sign-out = Sign out
console-sign-out-everywhere = Sign out everywhere
console-nav-tickets = Tickets
