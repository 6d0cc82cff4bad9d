"""What docker-compose.yml needs beside the images: `python -m deploy.compose` (see its docstring)."""
