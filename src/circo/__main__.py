from circo.cli import main

main()
