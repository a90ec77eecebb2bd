print("alco")
