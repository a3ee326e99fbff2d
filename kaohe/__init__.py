"""kaohe (考核): policy-as-code for the teacher IT-ability programme 2.0."""

__version__ = "0.1.0"
