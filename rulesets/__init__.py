"""The built-in rulesets, as YAML data (this file only makes the folder a package resource)."""
