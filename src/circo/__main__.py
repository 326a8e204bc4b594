from circo.cli_entry import main

main()
