"""`python -m recommender.evaluation`: run the benchmark (see recommender.evaluation.cli)."""

from recommender.evaluation.cli import main

raise SystemExit(main())
