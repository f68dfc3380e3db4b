# Open311 GeoReport v2 (web/open311): what the building's staff read about a ticket filed through
# the API, and the API's answers. Error descriptions are read by developers in English; the
# zh-hans file keeps the same keys for the CLI and for completeness.
open311-card-via = 📨 #{ $number } came through Open311 from { $client }.
open311-card-caller = Caller: { $name }
open311-card-phone = Phone: { $phone }
open311-card-email = E-mail: { $email }
open311-card-reply = Your replies here stay in the ticket's history: { $client } reads only its status. To talk to the caller, call them back.
open311-agency = Office of { $community }
open311-notice = Sent to the building's staff as ticket #{ $number }.
open311-service-description = { $name } in a building of { $community }.
open311-service-private = { $name } in a building of { $community }: between the reporter and the building's staff, its descriptions are never published.
open311-key-issued = Open311 key for { $client } (shown once, keep it safe):
open311-key-revoked = The Open311 key of { $client } no longer works.
open311-no-client = There is no Open311 client called { $client } with a working key.
open311-bad-client-name = A client's name is 1 to 100 characters.
open311-bad-daily-limit = The daily limit is a whole number of at least 1.
# The API's error descriptions.
open311-bad-key = api_key is missing or not valid.
open311-unknown-jurisdiction = jurisdiction_id names no community served here (give its name or id).
open311-jurisdiction-needed = jurisdiction_id is required: several communities are served here.
open311-unknown-service = service_code is not one of the services (see services.json).
open311-unknown-address-id = address_id is not the code of a building of this community.
open311-unknown-address-string = address_string is neither the code nor the exact name of a building of this community.
open311-point-only = lat and long alone cannot place a request: tickets belong to a building. Give address_id (the building's code) or address_string (its code or exact name).
open311-no-address = A location is required: address_id (the building's code) or address_string (its code or exact name).
open311-no-description = description is required and must not be empty.
open311-bad-media-url = media_url must be an http or https address of at most 500 characters.
open311-bad-submitter = { $field } is too long (at most { $max } characters) or spans several lines.
open311-daily-limit = This client filed { $limit } requests in the last 24 hours, its limit; try again later.
open311-input-too-long = description is too long ({ $length } UTF-16 units, at most { $max }).
open311-missing = { $field } is required.
open311-bad-number = { $field } must be a number or a comma-separated list of numbers.
open311-bad-point = lat and long must be numbers within -90..90 and -180..180.
open311-bad-date = { $field } must be an ISO 8601 date and time with its time zone, e.g. 2026-11-26T10:00:00+08:00, in the years 2 to 9998.
open311-bad-range = start_date must be before end_date.
open311-bad-status = status must be open, closed, or both separated by a comma.
open311-bad-form = The body must be application/x-www-form-urlencoded in UTF-8.
open311-too-large = The request body is larger than { $max } bytes.
open311-too-many = Too many requests with this key; wait a minute.
open311-unknown-request = There is no service request { $id } in this jurisdiction.
open311-unknown-token = There is no token { $token } of this client.
open311-not-found = There is no such resource; see services.json and requests.json.
