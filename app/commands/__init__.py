"""One module per `deblur` subcommand, each with register(subparsers) and run(args) -> int."""
