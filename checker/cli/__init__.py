"""The command line: the entry (main), the argument parser, and one function per command (commands/)."""
