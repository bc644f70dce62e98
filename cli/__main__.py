"""`python -m netfund.cli` runs the same command as the `netfund` console script."""

from netfund.cli.main import main

main()
