"""Date formats per language (settings.FORMAT_MODULE_PATH): templates ask for
DATE_FORMAT / DATETIME_FORMAT and each reader gets their own convention."""
