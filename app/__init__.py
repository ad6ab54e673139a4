"""losslab web application: a thin FastAPI layer over `engine`."""
