from imagior_mcp.server import main

main()
