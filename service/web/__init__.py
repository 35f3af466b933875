"""The web console: server-rendered pages for desk users, and the SVG map and charts they show."""
