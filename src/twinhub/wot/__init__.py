"""Web of Things: Thing Models linked from thing and feature definitions, and what twinhub does with them."""
