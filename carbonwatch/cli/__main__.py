from carbonwatch.cli import main

main()
