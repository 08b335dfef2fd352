from firebell.cli.main import main

main()
