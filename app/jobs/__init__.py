"""RQ job functions. They are thin: open an app context, call the domain code."""
