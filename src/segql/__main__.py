import sys

from segql.cli import main

sys.exit(main())
