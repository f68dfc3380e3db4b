card-status-taken-resident = Status: being handled
