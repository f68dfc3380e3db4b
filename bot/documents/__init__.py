"""The office's documents: spreadsheets and printable PDFs. Pure writers (data in, bytes out),
so every door (the CLI, the web console) and every use (exports, the whistle's work order)
shares them."""
