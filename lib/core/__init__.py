"""The foundation every other folder may import: settings, the database engine and schema, the
ORM models, the domain's constants and enumerations, the refusals services raise, and the labels."""
