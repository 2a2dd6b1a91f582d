from nephrocalc.cli import main

main()
