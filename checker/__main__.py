import sys

from checker.entry import main

sys.exit(main())
