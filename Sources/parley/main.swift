import Parley
print("x")
