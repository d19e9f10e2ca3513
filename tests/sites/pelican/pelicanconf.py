AUTHOR = 'Harbour Herald'
SITENAME = 'Harbour Herald'
PATH = 'content'
TIMEZONE = 'Europe/Oslo'
