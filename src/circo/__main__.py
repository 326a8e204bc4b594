from circo.launcher import main

main()
